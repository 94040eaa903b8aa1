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
  {
    method: 'get',
    path: '/console/chart.js',
    summary: "The chart library the console's Growth page draws with (Chart.js, served by the service: no CDN)",
    tag: 'operators',
    responses: { 200: { description: 'JavaScript', contentType: 'application/javascript' } },
    example: () => ({ status: 200 }),
  },
];
