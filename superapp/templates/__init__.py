"""Templates for ``superapp new``: package data, one folder per template.

Each folder holds ``template.json`` — a description and a ``files`` map from the path written
in the new app to the template file it comes from — and those files, whose ``{{key}}``
placeholders ``superapp.cli._new`` fills in (``app_id``, ``name``, ``name_json``,
``name_html``, ``short_name_json``). Adding a template is adding a folder (and its glob in
pyproject's package data); nothing else names them. Read through ``superapp.resources``.
"""
