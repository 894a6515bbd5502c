"""What a case's people might do next, one module per part of the case as in
``stafet.domain.decide`` (``lifecycle`` is its ``case``). Each act yields proposals (a
command's name and its fields), best first; the story hands them to the domain's ``decide``
one by one and keeps the first that is accepted.

Acts read the case's state to choose something plausible (who holds the baton, which
agreements are open, which goals exist) but never judge whether it is allowed: there is no
rule here. Where several people or goals would do, an act offers them in random order and
lets the domain pick out the ones it accepts, so the choice stays uniform among the allowed.
"""
