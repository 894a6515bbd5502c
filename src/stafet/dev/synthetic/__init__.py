"""A synthetic municipality: seeded, realistic command streams for benchmarks and demos.

Importing this package costs nothing (the CLI's help reads ``parameters``); the generator is
in its modules:

- ``parameters``  sizes and the calendar of the synthetic year
- ``vocabulary``  towns, names, organisations, efforts and the texts caseworkers write
- ``planner``     every case decided up front: kind, exact number of events, when, closes?
- ``story``       one case, step by step
- ``item``        one generated command, as the stream carries it
- ``stream``      ``generate``: all cases merged in business-time order; ``single_case``
- ``loading``     ``load``: a stream written into a ledger, many commands a transaction
"""
