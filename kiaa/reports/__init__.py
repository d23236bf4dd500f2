"""Reports people file, print and take to meetings: PDF (WeasyPrint) and CSV.

Each app registers the kinds it knows about (`kinds.register`, from its AppConfig.ready): the
parameters a person chooses, who may ask for it, and how to build it from the app's selectors
as the requester sees them. The core turns what a kind built (`content.Report`) into a file:
`pdf.render` lays the sections out, in parallel processes when the report is long, and
`spreadsheet.render` writes the register's table. `kiaa.services.reports` runs the export.
"""
