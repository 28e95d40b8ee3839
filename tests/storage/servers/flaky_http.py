"""A small HTTP file server that answers 503 to every Nth request (client retry tests).

GET (files, or an HTML index of links for folders), HEAD, PUT, DELETE; basic auth optional.
usage: python flaky_http.py --root DIR --port N [--fail-every N] [--user U --password P]
"""

from __future__ import annotations

import argparse
import base64
import html
import itertools
import os
import shutil
import urllib.parse

from aiohttp import web

parser = argparse.ArgumentParser()
parser.add_argument('--port', type=int, required=True)
parser.add_argument('--root', required=True)
parser.add_argument('--fail-every', type=int, default=0)
parser.add_argument('--user')
parser.add_argument('--password')
args = parser.parse_args()
ROOT = os.path.realpath(args.root)
os.makedirs(ROOT, exist_ok=True)
counter = itertools.count(1)
served = {'requests': 0, 'failed': 0}


def local(request: web.Request) -> str:
    path = os.path.realpath(os.path.join(ROOT, urllib.parse.unquote(request.match_info['tail'])))
    if path != ROOT and not path.startswith(ROOT + os.sep):
        raise web.HTTPForbidden()
    return path


@web.middleware
async def guard(request: web.Request, handler):
    if request.path == '/_stats':
        return web.json_response(served)
    served['requests'] += 1
    if args.fail_every and next(counter) % args.fail_every == 0:
        served['failed'] += 1
        raise web.HTTPServiceUnavailable()
    if args.user:
        expected = 'Basic ' + base64.b64encode(f'{args.user}:{args.password}'.encode()).decode()
        if request.headers.get('Authorization') != expected:
            raise web.HTTPUnauthorized(headers={'WWW-Authenticate': 'Basic realm="test"'})
    return await handler(request)


async def get(request: web.Request) -> web.StreamResponse:
    path = local(request)
    if os.path.isdir(path):
        if not request.path.endswith('/'):
            raise web.HTTPMovedPermanently(request.path + '/')
        rows = []
        for entry in sorted(os.scandir(path), key=lambda e: e.name):
            name = entry.name + ('/' if entry.is_dir() else '')
            rows.append(f'<a href="{urllib.parse.quote(name)}">{html.escape(name)}</a>')
        return web.Response(text='<html><body>\n' + '<br>\n'.join(rows) + '\n</body></html>', content_type='text/html')
    if os.path.isfile(path):
        return web.FileResponse(path)
    raise web.HTTPNotFound()


async def put(request: web.Request) -> web.Response:
    path = local(request)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.part'
    with open(tmp, 'wb') as handle:
        async for chunk in request.content.iter_chunked(1 << 20):
            handle.write(chunk)
    os.replace(tmp, path)
    return web.Response(status=201)


async def delete(request: web.Request) -> web.Response:
    path = local(request)
    if os.path.isdir(path) and path != ROOT:
        shutil.rmtree(path)
    elif os.path.isfile(path):
        os.remove(path)
    else:
        raise web.HTTPNotFound()
    return web.Response(status=204)


app = web.Application(middlewares=[guard], client_max_size=0)
app.router.add_route('GET', '/{tail:.*}', get)
app.router.add_route('HEAD', '/{tail:.*}', get)
app.router.add_route('PUT', '/{tail:.*}', put)
app.router.add_route('DELETE', '/{tail:.*}', delete)
web.run_app(app, host='127.0.0.1', port=args.port, print=lambda *a: print('ready', flush=True))
