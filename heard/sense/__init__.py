"""Make sense: themes backed by verbatim quotes (stage 4 of the journey).

``heard.sense.themes`` is the engine, plain Python with no Django import, so it can be
benchmarked, reused from the command line and verified on its own. The Django side (runs,
analyst edits, pages) lives beside it in this app.
"""
