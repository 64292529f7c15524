"""The work skills: tools, each a thin layer over ``selectors`` (reads) and ``services`` (writes)."""
