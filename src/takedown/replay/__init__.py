"""Replaying a scenario: a timeline of uploads, views, reports, decisions and outages, run
against Takedown and the demo platform at accelerated time, then measured.

`scenario` reads the YAML, `stage` builds both apps in one process around one ManualClock,
`engine` plays the timeline, `measures` turns what happened into the numbers that matter, and
`rendering` prints them.
"""
