"""The browser side: pages, scripts and translations the server serves."""
