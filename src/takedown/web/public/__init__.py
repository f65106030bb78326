"""The public side: report page, confirmation, status page and hash-only report (issue 6).

`pages.router` holds the routes; the words of reporters' update e-mails are in
`takedown.notices`.
"""
