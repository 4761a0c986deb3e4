"""The theme engine: contributions in, themes with exact quotes out. No Django import here.

Entry point: :func:`heard.sense.themes.engine.find_themes`. The result types are in
:mod:`heard.sense.themes.result`.
"""
