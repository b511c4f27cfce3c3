"""The election server: storage, the JSON API, the pages, and the casting pipeline."""
