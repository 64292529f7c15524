"""The home tools: shopping lists (``shopping``) and chores (``chores``), each module declaring its
``skill``; ``wording`` says what happened in the user's language. Thin on purpose: resolve names, call a
service, say what happened. The docstrings are what the LLM reads to choose a tool."""
