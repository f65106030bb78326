"""Meta's Hasher-Matcher-Actioner (HMA 1.1.7, OpenMediaMatch) spoken over Takedown's banks.

HMA's clients (ROOST Coop, fetlife's Ruby client, a team's own scripts) expect its curator,
hasher and matcher API. Here that API is a view of Takedown's own banks and incremental match
index (DESIGN rule 14): an HMA bank is a Takedown bank, an HMA bank content is one or more bank
entries added together, and a hash added through HMA is matchable at the next lookup instead
of after HMA's periodic index rebuild. The HTTP adapter is `takedown.api.hma`.
"""
