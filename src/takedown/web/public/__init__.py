"""The public side: report page, confirmation, status page and hash-only report (issue 6).

`pages.router` holds the routes; `emails` the words of reporters' update emails.
"""
