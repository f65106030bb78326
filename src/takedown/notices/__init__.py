"""What reporters are told outside the web pages: the words of their update e-mails.

Not a web page, so not in `web/`; its words come from the same catalogue as the pages
(takedown.catalogue). Sending is the outbox's (outbox.notifications).
"""
