"""The microblog's HTML: a feed, a post page, an account page. Plain Jinja2, no build step."""

from __future__ import annotations

from jinja2 import DictLoader, Environment, select_autoescape

_LAYOUT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{{ name }}{% endblock %}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:46rem;margin:0 auto;padding:1rem;color:#222}
header{display:flex;justify-content:space-between;align-items:baseline}
.post{border:1px solid #ddd;border-radius:8px;padding:.8rem;margin:1rem 0}
.post img,.post video{max-width:100%;border-radius:4px}
.meta{color:#666;font-size:.9rem;display:flex;gap:1rem;flex-wrap:wrap}
.notice{background:#fff4d6;border:1px solid #e6c65c;padding:.8rem;border-radius:6px}
.gone{background:#fde2e2;border:1px solid #e59a9a;padding:.8rem;border-radius:6px}
form.new{border:1px dashed #aaa;padding:.8rem;border-radius:8px;display:grid;gap:.5rem}
.synthetic{font-size:.8rem;color:#777}
</style></head>
<body><header><h1><a href="/">{{ name }}</a></h1>
<span class="synthetic">a demo platform; every picture here is generated</span></header>
{% block body %}{% endblock %}</body></html>"""

_POST = """<article class="post" id="{{ post.id }}">
<div class="meta"><a href="/u/{{ post.account_id }}">@{{ post.account_id }}</a>
<span>{{ post.created_at.strftime('%Y-%m-%d %H:%M') }} UTC</span>
<span data-views>{{ post.views }} views</span></div>
<p>{{ post.caption }}</p>
{% if post.media_type.startswith('video/') %}
<video src="/media/{{ post.id }}" controls muted loop></video>
{% else %}<img src="/media/{{ post.id }}" alt="generated picture">{% endif %}
<div class="meta"><a href="/posts/{{ post.id }}">open</a>
<a class="report" href="{{ report_url(post.id) }}">Report</a></div></article>"""

_FEED = """{% extends "layout.html" %}{% block body %}
{% if message %}<p class="notice">{{ message }}</p>{% endif %}
<form class="new" method="post" action="/posts" enctype="multipart/form-data">
<strong>New post</strong>
<label>Account <input name="account" value="{{ default_account }}" required></label>
<label>Caption <input name="caption" maxlength="280"></label>
<label>Media <select name="kind">
<option value="image">a generated picture</option>
<option value="video">a generated short video</option>
<option value="known">a synthetic test picture that is in the demo bank</option>
</select></label>
<label>or upload a file <input type="file" name="file" accept="image/*,video/*"></label>
<button>Post</button></form>
{% for post in posts %}{% include "post.html" %}{% else %}<p>No posts yet.</p>{% endfor %}
{% endblock %}"""

_POST_PAGE = """{% extends "layout.html" %}{% block body %}
{% if post is none %}<p class="gone">{{ message }}</p>
{% else %}{% include "post.html" %}{% endif %}
{% endblock %}"""

_ACCOUNT = """{% extends "layout.html" %}{% block body %}
<h2>@{{ account.id }}</h2>
{% if account.state == 'suspended' %}<p class="gone">This account is suspended.</p>
{% else %}{% for post in posts %}{% include "post.html" %}{% else %}<p>No posts.</p>
{% endfor %}{% endif %}{% endblock %}"""

pages = Environment(
    loader=DictLoader(
        {
            "layout.html": _LAYOUT,
            "post.html": _POST,
            "feed.html": _FEED,
            "post_page.html": _POST_PAGE,
            "account.html": _ACCOUNT,
        }
    ),
    autoescape=select_autoescape(default=True),
)
