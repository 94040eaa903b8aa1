/** The console page's OpenAPI description. */
import type { RouteDoc } from '../http/openapi';

export const consoleRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/console',
    summary: 'The operator console: a web page over /debug/* (it holds no data and asks for the token)',
    tag: 'operators',
    responses: { 200: { description: 'the page', contentType: 'text/html' } },
    example: () => ({ status: 200 }),
  },
];
