"""The NCMEC CyberTipline Reporting API, as a protocol adapter with no database in it.

`report` builds the XML documents in the API's own element names, `schema` validates them
against NCMEC's XSD (`xsd/`) before anything is sent, `client` performs the API's steps
(submit, upload, fileinfo, finish) and `sandbox` stands in for NCMEC locally.
The use case that decides what to file and remembers how far it got is `services.filing`.
"""
