"""A small stand-in for the Synapse platform REST API, run as a real HTTP server in its own process.

Usage: python platform_server.py TOKEN  -> prints the port on stdout, serves until killed.
Implements the endpoints BackendClient uses, with in-memory state, plus ``/__control/*`` routes
that let a test inject failures (or redirects) and read what the server received.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = sys.argv[1] if len(sys.argv) > 1 else 'secret'
LOCK = threading.Lock()
STATE: dict[str, Any] = {}


def reset() -> None:
    STATE.clear()
    STATE.update(
        faults=[],
        log=[],
        uploads={},
        media={},
        models={},
        jobs={},
        logs=[],
        releases=[],
        units=[],
        tasks={
            i: {
                'id': i,
                'project': 7,
                'status': 'pending',
                'data': None,
                'data_unit': {
                    'id': 100 + i,
                    'name': f'u{i}',
                    'files': {'image_1': {'url': f'/media/img{i}.png', 'name': f'img{i}.png', 'is_primary': True}},
                },
            }
            for i in range(1, 6)
        },
        events=[
            {
                'id': i,
                'category': 'train' if i % 5 else 'validation',
                'data': {'images': [{'bounding_box': []}]},
                'files': {
                    'image_1': {'url': f'/media/e{i}.png', 'file_name_original': f'e{i}.png', 'is_primary': True}
                },
            }
            for i in range(1, 251)
        ],
    )
    for i in range(1, 6):
        STATE['media'][f'img{i}.png'] = f'image-{i}'.encode()


reset()


def page(handler: Handler, items: list[Any], query: dict[str, list[str]]) -> dict[str, Any]:
    size = int(query.get('page_size', ['100'])[0])
    number = int(query.get('page', ['1'])[0])
    chunk = items[(number - 1) * size : number * size]
    nxt = None
    if number * size < len(items):
        q = {k: v[0] for k, v in query.items()}
        q.update(page=str(number + 1), page_size=str(size))
        nxt = f'http://{handler.headers["Host"]}{urlsplit(handler.path).path}?' + '&'.join(
            f'{k}={v}' for k, v in q.items()
        )
    return {'count': len(items), 'next': nxt, 'results': chunk}


def multipart(handler: Handler, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    head = f'Content-Type: {handler.headers["Content-Type"]}\r\n\r\n'.encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    parts: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param('name', header='content-disposition')
        payload = part.get_payload(decode=True)
        parts[str(name)] = (part.get_filename(), payload if isinstance(payload, bytes) else b'')
    return parts


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args: Any) -> None:
        pass

    def send(self, status: int, payload: Any = None, raw: bytes | None = None) -> None:
        body = raw if raw is not None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/octet-stream' if raw is not None else 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self) -> bytes:
        return self.rfile.read(int(self.headers.get('Content-Length') or 0))

    def handle_any(self, method: str) -> None:
        url = urlsplit(self.path)
        path, query = url.path.strip('/'), parse_qs(url.query)
        body = self.body()
        if path.startswith('__control/'):
            return self.control(path, body)
        with LOCK:
            STATE['log'].append(
                {'method': method, 'path': path, 'query': url.query, 'headers': dict(self.headers.items())}
            )
            for fault in STATE['faults']:
                if fault['path'] == path and fault['method'] == method and fault['times'] > 0:
                    fault['times'] -= 1
                    if fault.get('location'):  # a redirect, e.g. to another origin
                        self.send_response(fault['status'])
                        self.send_header('Location', fault['location'])
                        self.send_header('Content-Length', '0')
                        self.end_headers()
                        return None
                    if fault['status'] == 'drop':
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return None
                    return self.send(
                        fault['status'], {'detail': f'injected; you sent {self.headers.get("Synapse-Access-Token")}'}
                    )
        if path == 'html':
            return self.send(200, raw=b'<html>login page</html>')
        if path == 'slow':
            time.sleep(2)
            return self.send(200, {})
        if path.startswith('media/'):
            data = STATE['media'].get(path[len('media/') :])
            return self.send(200, raw=data) if data is not None else self.send(404, {'detail': 'no such file'})
        if self.headers.get('Synapse-Access-Token') != f'Token {TOKEN}':
            return self.send(401, {'detail': f'Invalid token {self.headers.get("Synapse-Access-Token")}'})
        with LOCK:
            return self.route(method, path, query, body)

    def route(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> None:
        parts = path.split('/')
        if path == 'ground_truth_dataset_versions/3' and method == 'GET':
            return self.send(200, {'id': 3, 'name': 'gt-v3', 'count': len(STATE['events'])})
        if path == 'sdk/ground_truth_events' and method == 'GET':
            events = STATE['events']
            if 'category' in query:
                events = [e for e in events if e['category'] == query['category'][0]]
            return self.send(200, page(self, events, query))
        if parts[0] == 'chunked_upload':
            if method == 'PUT':
                start, rest = self.headers['Content-Range'].split(' ')[1].split('-')
                upload_id = parts[1] if len(parts) > 1 else str(len(STATE['uploads']) + 1)
                buf = STATE['uploads'].setdefault(upload_id, bytearray())
                if int(start) != len(buf):
                    return self.send(400, {'detail': 'chunk out of order'})
                buf.extend(multipart(self, body)['file'][1])
                return self.send(200, {'id': upload_id, 'offset': len(buf)})
            if method == 'POST':
                md5 = json.loads(body)['md5']
                if hashlib.md5(bytes(STATE['uploads'][parts[1]])).hexdigest() != md5:
                    return self.send(400, {'detail': 'md5 mismatch'})
                return self.send(200, {'id': parts[1], 'status': 'complete'})
        if path == 'models' and method == 'POST':
            data = json.loads(body)
            model_id = len(STATE['models']) + 1
            STATE['media'][f'model{model_id}.bin'] = bytes(STATE['uploads'][data.pop('chunked_upload')])
            host = self.headers['Host']
            STATE['models'][model_id] = {'id': model_id, **data, 'file': f'http://{host}/media/model{model_id}.bin'}
            return self.send(201, STATE['models'][model_id])
        if path == 'models' and method == 'GET':
            return self.send(200, page(self, list(STATE['models'].values()), query))
        if parts[0] == 'models' and method == 'GET':
            model = STATE['models'].get(int(parts[1]))
            return self.send(200, model) if model else self.send(404, {'detail': 'Not found.'})
        if path == 'storages/5' and query.get('with_configuration') == ['true']:
            return self.send(200, {'id': 5, 'provider': 'local', 'configuration': {'location': '/tmp/x'}})
        if path == 'projects/7':
            return self.send(200, {'id': 7, 'name': 'p'})
        if path == 'tasks' and method == 'GET':
            tasks = [t for t in STATE['tasks'].values() if str(t['project']) == query.get('project', ['7'])[0]]
            return self.send(200, page(self, tasks, query))
        if parts[0] == 'tasks' and len(parts) == 3 and method == 'PUT':
            task = STATE['tasks'][int(parts[1])]
            data = json.loads(body)
            task.update(data=data['data'], status='submitted')
            return self.send(200, task)
        if parts[0] == 'tasks' and method == 'GET':
            return self.send(200, STATE['tasks'][int(parts[1])])
        if path == 'assignments':
            done = [t for t in STATE['tasks'].values() if t['data'] is not None]
            return self.send(200, page(self, done, query))
        if path == 'jobs' and method == 'POST':
            data = json.loads(body)
            job = {'id': data.get('id') or f'j{len(STATE["jobs"]) + 1}', 'status': 'pending', **data}
            STATE['jobs'][job['id']] = job
            return self.send(201, job)
        if parts[0] == 'jobs' and len(parts) == 2:
            if method == 'PATCH':
                STATE['jobs'][parts[1]].update(json.loads(body))
            return self.send(200, STATE['jobs'][parts[1]])
        if path == 'logs' and method == 'POST':
            STATE['logs'].extend(json.loads(body))
            return self.send(201, {'created': len(json.loads(body))})
        if parts[0] == 'jobs' and parts[2:] == ['console_logs']:
            return self.send(200, page(self, [e for e in STATE['logs'] if e['job'] == parts[1]], query))
        if path == 'data_units' and method == 'POST':
            created = [{'id': len(STATE['units']) + i + 1, **u} for i, u in enumerate(json.loads(body))]
            STATE['units'].extend(created)
            return self.send(201, created)
        if path == 'plugin_releases' and method == 'GET':
            found = [
                r
                for r in STATE['releases']
                if all(r[k] == query[k][0] for k in ('plugin', 'version', 'checksum') if k in query)
            ]
            return self.send(200, page(self, found, query))
        if path == 'plugin_releases' and method == 'POST':
            form = multipart(self, body)
            release = {
                'id': len(STATE['releases']) + 1,
                **{k: form[k][1].decode() for k in ('plugin', 'version', 'checksum')},
                'config': json.loads(form['config'][1]),
                'size': len(form['file'][1]),
                'file_md5': hashlib.md5(form['file'][1]).hexdigest(),
            }
            STATE['releases'].append(release)
            return self.send(201, release)
        return self.send(404, {'detail': f'no route {method} {path}'})

    def control(self, path: str, body: bytes) -> None:
        with LOCK:
            if path == '__control/reset':
                reset()
                return self.send(200, {})
            if path == '__control/faults':
                STATE['faults'].append(json.loads(body))
                return self.send(200, {})
            if path == '__control/log':
                return self.send(200, STATE['log'])
            if path == '__control/state':
                return self.send(200, {'releases': STATE['releases'], 'logs': STATE['logs'], 'units': STATE['units']})
        return self.send(404, {})

    def do_GET(self) -> None:
        self.handle_any('GET')

    def do_POST(self) -> None:
        self.handle_any('POST')

    def do_PUT(self) -> None:
        self.handle_any('PUT')

    def do_PATCH(self) -> None:
        self.handle_any('PATCH')

    def do_DELETE(self) -> None:
        self.handle_any('DELETE')


if __name__ == '__main__':
    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()
