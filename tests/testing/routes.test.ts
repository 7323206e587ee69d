import { matchRoute } from '../../src/testing/routes';
import { indexAfterDeltas, positionAt, type Frame, type StreamScript } from '../../src/testing/stream-script';

describe('matchRoute', () => {
  test.each([
    ['POST', '/v1/chat/completions', { api: 'chat', provider: 'openai' }],
    ['POST', '/v1/chat/completions/', { api: 'chat', provider: 'openai' }],
    ['POST', '/openai/v1/chat/completions', { api: 'chat', provider: 'azure' }],
    ['POST', '/openai/deployments/gpt-4o/chat/completions', { api: 'chat', provider: 'azure', deployment: 'gpt-4o' }],
    ['POST', '/openai/deployments/my%20dep/chat/completions', { api: 'chat', provider: 'azure', deployment: 'my dep' }],
    ['POST', '/v1/responses', { api: 'responses', provider: 'openai' }],
    ['POST', '/openai/responses', { api: 'responses', provider: 'azure' }],
    ['POST', '/openai/v1/responses', { api: 'responses', provider: 'azure' }],
    ['GET', '/v1/responses/resp_1', { api: 'retrieve', provider: 'openai', responseId: 'resp_1' }],
    ['GET', '/openai/responses/resp_1', { api: 'retrieve', provider: 'azure', responseId: 'resp_1' }],
    ['GET', '/openai/v1/responses/resp_1', { api: 'retrieve', provider: 'azure', responseId: 'resp_1' }],
    ['POST', '/v1/embeddings', { api: 'embeddings', provider: 'openai' }],
    ['POST', '/openai/v1/embeddings', { api: 'embeddings', provider: 'azure' }],
    ['POST', '/openai/deployments/emb/embeddings', { api: 'embeddings', provider: 'azure', deployment: 'emb' }],
    ['GET', '/v1/models', { api: 'models', provider: 'openai' }],
    ['GET', '/openai/models', { api: 'models', provider: 'azure' }],
    ['GET', '/openai/v1/models', { api: 'models', provider: 'azure' }],
  ])('%s %s', (method, path, route) => {
    expect(matchRoute(method, path)).toEqual(route);
  });

  test.each([
    ['GET', '/v1/chat/completions'],
    ['POST', '/v1/models'],
    ['GET', '/v1/responses'],
    ['DELETE', '/v1/responses/resp_1'],
    ['POST', '/v1/responses/resp_1'],
    ['GET', '/v1/responses/resp_1/input_items'],
    ['POST', '/openai/chat/completions'],
    ['POST', '/openai/embeddings'],
    ['POST', '/openai/deployments/d/responses'],
    ['GET', '/openai/deployments/d/models'],
    ['POST', '/v2/chat/completions'],
    ['POST', '/v1'],
    ['POST', '/chat/completions'],
  ])('%s %s is no route', (method, path) => {
    expect(matchRoute(method, path)).toBeUndefined();
  });
});

describe('stream scripts', () => {
  const frames: Frame[] = [
    { data: 'a', seq: 0 },
    { data: 'b', seq: 1, delta: 'x' },
    { data: 'c', seq: 2, delta: 'y' },
    { data: 'd', seq: 3, tail: true },
  ];
  const none = () => [];
  const script: StreamScript = {
    frames,
    start: { seq: 0, text: '' },
    endings: { failed: none, error: none, incomplete: none, quota: none },
  };

  test('a fault after n deltas strikes after the n-th, never past the first tail frame', () => {
    expect([0, 1, 2, 3, 99].map((n) => indexAfterDeltas(frames, n))).toEqual([1, 2, 3, 3, 3]);
  });

  test('the position after a prefix: the next sequence number and the text so far', () => {
    expect(positionAt(script, 0)).toEqual({ seq: 0, text: '' });
    expect(positionAt(script, 2)).toEqual({ seq: 2, text: 'x' });
    expect(positionAt({ ...script, start: { seq: 5, text: 'pre' } }, 3)).toEqual({ seq: 3, text: 'prexy' });
  });
});
