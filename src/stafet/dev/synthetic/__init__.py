"""A synthetic municipality: seeded, realistic command streams for benchmarks and demos.

Every command in a stream was decided by the domain's own ``decide`` while the stream was
made: the generator proposes, the domain disposes, and no rule is copied here.

Importing this package costs nothing (the CLI's help reads ``parameters``); the generator is
in its modules:

- ``parameters``  sizes and the calendar of the synthetic year
- ``vocabulary``  towns, names, organisations, efforts and the texts caseworkers write
- ``planner``     every case decided up front: kind, exact number of events, when, closes?
- ``population``  the people of one case: the opener, the citizen's side, the network
- ``texts``       notes, minutes, agendas and goals in the case's own words
- ``acts``        what might happen next: proposals, one module per part of a case
- ``story``       one case step by step: propose to ``decide``, keep what it accepts
- ``item``        one generated command, as the stream carries it
- ``stream``      ``generate``: all cases merged in business-time order; ``single_case``
- ``loading``     ``load``: a stream written into a ledger, many commands a transaction
"""
