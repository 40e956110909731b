"""``mcof serve``: the web app (pages, JSON API) over the same library as the CLI.

Needs the ``serve`` extra (``pip install 'mcof[serve]'``: Starlette, uvicorn,
python-multipart). ``engine/`` never imports this package. Start it with ``mcof serve``, or
build the ASGI app yourself::

    from mcof.web.app import Settings, create_app
    app = create_app(Settings(token="..."))
"""
