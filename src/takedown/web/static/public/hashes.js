/*
 * The hash-only report: images are read and hashed here, on the person's device, and only the
 * hashes (PDQ and MD5) are sent to POST /v1/hash-reports. The file input has no name and the
 * form is never submitted by the browser, so no request can carry the image bytes.
 */
(function () {
  "use strict";
  var form = document.getElementById("hash-form");
  if (!form) return;
  form.hidden = false;
  var input = document.getElementById("images");
  var progress = document.getElementById("hash-progress");
  var table = document.getElementById("hash-table");
  var errorBox = document.getElementById("hash-error");
  var msg = form.dataset;
  var results = [];

  function decode(file) {
    // Decode to exact pixels; no resizing or colour conversion, so the PDQ matches pdqhash.
    return createImageBitmap(file, { colorSpaceConversion: "none", premultiplyAlpha: "none" })
      .then(function (bitmap) {
        var canvas = document.createElement("canvas");
        canvas.width = bitmap.width;
        canvas.height = bitmap.height;
        var context = canvas.getContext("2d", { willReadFrequently: true });
        context.drawImage(bitmap, 0, 0);
        var pixels = context.getImageData(0, 0, bitmap.width, bitmap.height);
        bitmap.close();
        return pixels;
      });
  }

  function hashFile(file) {
    return file.arrayBuffer().then(function (buffer) {
      var md5 = TakedownMD5.md5(new Uint8Array(buffer));
      return decode(file).then(function (pixels) {
        var pdq = TakedownPDQ.pdqFromImageData(pixels.data, pixels.width, pixels.height);
        return { name: file.name, md5: md5, pdq: pdq.hash, quality: pdq.quality };
      }, function () {
        return { name: file.name, md5: md5, pdq: null, quality: 0, unreadable: true };
      });
    });
  }

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
  }

  input.addEventListener("change", function () {
    errorBox.textContent = "";
    progress.textContent = msg.msgWorking;
    var files = Array.prototype.slice.call(input.files || []);
    Promise.all(files.map(hashFile)).then(function (hashed) {
      results = hashed;
      var body = table.tBodies[0];
      body.textContent = "";
      hashed.forEach(function (h) {
        var row = document.createElement("tr");
        cell(row, h.unreadable ? msg.msgUnreadable + " " + h.name : h.name);
        cell(row, h.pdq || "—");
        cell(row, h.md5);
        body.appendChild(row);
      });
      table.hidden = hashed.length === 0;
      progress.textContent = hashed.length ? msg.msgReady : "";
      form.dataset.hashed = String(hashed.length);
    });
  });

  function checked(name) {
    var el = form.querySelector('input[name="' + name + '"]:checked');
    return el ? el.value : null;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    errorBox.textContent = "";
    if (!results.length) {
      errorBox.textContent = msg.msgNone;
      return;
    }
    var category = checked("category");
    var role = checked("reporter_role");
    if (!category || !role) {
      errorBox.textContent = msg.msgChoose;
      return;
    }
    var hashes = [];
    results.forEach(function (h) {
      if (h.pdq) hashes.push({ signal: "pdq", value: h.pdq });
      hashes.push({ signal: "md5", value: h.md5 });
    });
    var statement = document.getElementById("statement").value.trim();
    var body = {
      hashes: hashes,
      category: category,
      reporter_role: role,
      depicts_minor: checked("under_18") === "yes" || category === "child_sexual_exploitation"
    };
    if (statement) body.statement = statement;
    progress.textContent = msg.msgSending;
    fetch("/v1/hash-reports", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit"
    }).then(function (response) {
      if (response.status !== 201) throw new Error(String(response.status));
      return response.json();
    }).then(function (out) {
      window.location.assign("/report/received/" + encodeURIComponent(out.status_token));
    }).catch(function () {
      progress.textContent = "";
      errorBox.textContent = msg.msgFailed;
    });
  });
})();
