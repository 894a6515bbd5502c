"""Documents about one case, for people and for other systems (issue 15).

``model.build(ReportData)`` words the case in Danish or English; ``markdown``, ``html`` and
``pdf`` lay it out (a report, or one meeting's document); ``fhir`` turns the same data into a
FHIR R4 Bundle. Every document starts from a Reader read (``reader.report``,
``reader.meeting_document``, ``reader.export_case``): authorised and access-logged.
"""
