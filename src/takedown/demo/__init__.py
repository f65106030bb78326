"""The demo: a small microblog that uses Takedown the way a real platform would.

`takedown.demo.platform` is the microblog (its own FastAPI app and SQLite file). It talks to
Takedown only through the public HTTP API and signed webhooks, so it doubles as an example of
an integration; `examples/demo_platform` is a thin entry point to run it on its own.
`takedown.demo.media` makes the synthetic pictures and videos it posts, and `takedown.demo.seed`
sets both apps up for `takedown demo`.
"""
