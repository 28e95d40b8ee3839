"""Transport-neutral plumbing every non-local executor shares (Ray task, Ray job, Ray Serve, HTTP serving).

- :mod:`.secrets`: which env values are secret, splitting them from public ones, masking them in text.
- :mod:`.requests`: the request a worker receives (action, params, env, language, job id).
- :mod:`.transport`: exceptions as plain data and back as typed errors.
- :mod:`.worker`: run one request through the SDK's dispatch path, never raising.
- :func:`.requests.replay_events`: worker events back into the caller's sinks.

None of it imports Ray, so ``synapse-sdk-plugins`` never needs the Ray distribution.
"""
