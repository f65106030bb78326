/*
 * PDQ (Meta's perceptual image hash) computed in the browser, so that a person can report
 * images by their hashes without the images ever leaving their device.
 *
 * A faithful port of the reference C++ (facebook/ThreatExchange pdq/cpp: pdqhashing.cpp,
 * downscaling.cpp, torben.cpp), which is what the `pdqhash` Python package runs. The C++ works
 * in 32-bit floats; every arithmetic step here is rounded to a 32-bit float with Math.fround so
 * that the same pixels give the same bits. Steps: luminance, two passes of a Jarosz box filter
 * (rows then columns), decimation to 64x64, the 16x16 low-frequency block of a DCT (without the
 * DC term), and one bit per coefficient: above the median or not.
 */
(function (root) {
  "use strict";
  var f = Math.fround;
  var MIN_HASHABLE_DIM = 5;
  var JAROSZ_PASSES = 2;

  // The 16x64 DCT matrix, rows 1..16 of the 64-point DCT-II, as float32 like the C++.
  var DCT = (function () {
    var m = new Float32Array(16 * 64);
    var scale = f(Math.sqrt(2.0 / 64));
    for (var i = 0; i < 16; i++) {
      for (var j = 0; j < 64; j++) {
        m[i * 64 + j] = f(scale * Math.cos((Math.PI / 2.0 / 64) * (i + 1) * (2 * j + 1)));
      }
    }
    return m;
  })();

  /* Luminance as pdqhash computes it: in double precision, then stored as float32. */
  function lumaFromPixels(data, width, height, channels) {
    var luma = new Float32Array(width * height);
    for (var p = 0, q = 0; p < luma.length; p++, q += channels) {
      luma[p] = data[q] * 0.299 + data[q + 1] * 0.587 + data[q + 2] * 0.114;
    }
    return luma;
  }

  function windowSize(oldDimension, newDimension) {
    return Math.floor((oldDimension + 2 * newDimension - 1) / (2 * newDimension));
  }

  /* One pass of a box filter along a strided vector: downscaling.cpp's box1DFloat. */
  function box1D(input, output, start, length, stride, fullWindow) {
    var halfWindow = Math.floor((fullWindow + 2) / 2);
    var phase1 = halfWindow - 1;
    var phase2 = fullWindow - halfWindow + 1;
    var phase3 = length - fullWindow;
    var phase4 = halfWindow - 1;
    var li = start, ri = start, oi = start;
    var sum = 0;
    var size = 0;
    var i;
    for (i = 0; i < phase1; i++) {
      sum = f(sum + input[ri]);
      size++;
      ri += stride;
    }
    for (i = 0; i < phase2; i++) {
      sum = f(sum + input[ri]);
      size++;
      output[oi] = sum / size;
      ri += stride;
      oi += stride;
    }
    for (i = 0; i < phase3; i++) {
      sum = f(sum + input[ri]);
      sum = f(sum - input[li]);
      output[oi] = sum / size;
      li += stride;
      ri += stride;
      oi += stride;
    }
    for (i = 0; i < phase4; i++) {
      sum = f(sum - input[li]);
      size--;
      output[oi] = sum / size;
      li += stride;
      oi += stride;
    }
  }

  function jaroszFilter(buffer1, buffer2, rows, cols, windowAlongRows, windowAlongCols) {
    for (var pass = 0; pass < JAROSZ_PASSES; pass++) {
      var i;
      for (i = 0; i < rows; i++) box1D(buffer1, buffer2, i * cols, cols, 1, windowAlongRows);
      for (i = 0; i < cols; i++) box1D(buffer2, buffer1, i, rows, cols, windowAlongCols);
    }
  }

  function decimate(input, rows, cols) {
    var out = new Float32Array(64 * 64);
    for (var i = 0; i < 64; i++) {
      var ini = Math.floor(((i + 0.5) * rows) / 64);
      for (var j = 0; j < 64; j++) {
        var inj = Math.floor(((j + 0.5) * cols) / 64);
        out[i * 64 + j] = input[ini * cols + inj];
      }
    }
    return out;
  }

  /* pdqImageDomainQualityMetric: how much significant gradient the image has, 0..100. */
  function quality(b) {
    var sum = 0;
    var i, j, d;
    for (i = 0; i < 63; i++) {
      for (j = 0; j < 64; j++) {
        d = Math.trunc(f(f(f(b[i * 64 + j] - b[(i + 1) * 64 + j]) * 100) / 255));
        sum += Math.abs(d);
      }
    }
    for (i = 0; i < 64; i++) {
      for (j = 0; j < 63; j++) {
        d = Math.trunc(f(f(f(b[i * 64 + j] - b[i * 64 + j + 1]) * 100) / 255));
        sum += Math.abs(d);
      }
    }
    return Math.min(100, Math.floor(sum / 90));
  }

  /* B = D A D^T, keeping only the 16x16 low frequencies: dct64To16. */
  function dct64To16(a) {
    var t = new Float32Array(16 * 64);
    var b = new Float32Array(16 * 16);
    var i, j, k, sum;
    for (i = 0; i < 16; i++) {
      for (j = 0; j < 64; j++) {
        sum = 0;
        for (k = 0; k < 64; k++) sum = f(sum + f(DCT[i * 64 + k] * a[k * 64 + j]));
        t[i * 64 + j] = sum;
      }
    }
    for (i = 0; i < 16; i++) {
      for (j = 0; j < 16; j++) {
        sum = 0;
        for (k = 0; k < 64; k++) sum = f(sum + f(t[i * 64 + k] * DCT[j * 64 + k]));
        b[i * 16 + j] = sum;
      }
    }
    return b;
  }

  /* Torben Mogensen's median, exactly as torben.cpp (which the threshold depends on). */
  function torben(m) {
    var n = m.length;
    var min = m[0], max = m[0];
    var i, less, greater, equal, guess, maxlt, mingt;
    for (i = 1; i < n; i++) {
      if (m[i] < min) min = m[i];
      if (m[i] > max) max = m[i];
    }
    var half = Math.floor((n + 1) / 2);
    for (;;) {
      guess = f(f(min + max) / 2);
      less = 0;
      greater = 0;
      equal = 0;
      maxlt = min;
      mingt = max;
      for (i = 0; i < n; i++) {
        if (m[i] < guess) {
          less++;
          if (m[i] > maxlt) maxlt = m[i];
        } else if (m[i] > guess) {
          greater++;
          if (m[i] < mingt) mingt = m[i];
        } else {
          equal++;
        }
      }
      if (less <= half && greater <= half) break;
      else if (less > greater) max = maxlt;
      else min = mingt;
    }
    if (less >= half) return maxlt;
    if (less + equal >= half) return guess;
    return mingt;
  }

  /* The hash as the reference prints it: 16 words, the last row first, 4 hex digits each. */
  function bitsToHex(b) {
    var median = torben(b);
    var hex = "";
    for (var i = 15; i >= 0; i--) {
      var word = 0;
      for (var j = 0; j < 16; j++) {
        if (b[i * 16 + j] > median) word |= 1 << j;
      }
      hex += ("000" + word.toString(16)).slice(-4);
    }
    return hex;
  }

  /*
   * Hash pixels given as interleaved channels (3 for RGB, 4 for canvas RGBA; alpha ignored).
   * Returns {hash: 64 hex characters, quality: 0..100}.
   */
  function pdqFromPixels(data, width, height, channels) {
    if (height < MIN_HASHABLE_DIM || width < MIN_HASHABLE_DIM) {
      return { hash: new Array(65).join("0"), quality: 0 };
    }
    var buffer1 = lumaFromPixels(data, width, height, channels || 4);
    var buffer64;
    if (width === 64 && height === 64) {
      // As the reference does for frames already downsampled to 64x64.
      buffer64 = buffer1;
    } else {
      var buffer2 = new Float32Array(width * height);
      jaroszFilter(
        buffer1, buffer2, height, width, windowSize(width, 64), windowSize(height, 64)
      );
      buffer64 = decimate(buffer1, height, width);
    }
    var q = quality(buffer64);
    return { hash: bitsToHex(dct64To16(buffer64)), quality: q };
  }

  /*
   * Hash a canvas's RGBA pixels as the server hashes the file: transparent pixels shown on
   * white, and every pixel at full size. The server decodes a large image at reduced size but
   * applies the full-size blur to it (signals/pdq_kernel.py), so both give the reference hash
   * of the full image, within a bit or two. (Reducing here, by a whole factor, left the two
   * up to 6 bits apart on large JPEGs: the reduced image has its own blur window.)
   */
  function pdqFromImageData(rgba, width, height) {
    var rgb = new Uint8ClampedArray(width * height * 3);
    for (var p = 0, q = 0; p < width * height; p++, q += 4) {
      var a = rgba[q + 3];
      for (var c = 0; c < 3; c++) {
        rgb[p * 3 + c] =
          a === 255 ? rgba[q + c] : Math.round((rgba[q + c] * a + 255 * (255 - a)) / 255);
      }
    }
    return pdqFromPixels(rgb, width, height, 3);
  }

  var api = { pdqFromPixels: pdqFromPixels, pdqFromImageData: pdqFromImageData, torben: torben };
  if (typeof module !== "undefined" && module.exports) {
    module.exports = api;
  } else {
    root.TakedownPDQ = api;
  }
})(this);
