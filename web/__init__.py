"""The web app for managers and the head of sales, served by the backend.

Static files only (``static/``): an ES-module app with Preact and htm that
gets every piece of data from the REST API (``/api``) with the session cookie.
Its strings live in ``static/js/strings/`` (Russian); the libraries it uses
are vendored in ``static/vendor/`` (``package.json`` says from where), so
running it needs no build step and no Node.js.
"""
