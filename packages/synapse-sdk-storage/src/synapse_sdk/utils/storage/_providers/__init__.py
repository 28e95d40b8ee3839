"""Built-in providers; each module is imported only when its provider is first used."""
