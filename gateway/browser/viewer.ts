// Whether a sandbox's viewer answers: an HTTP GET of noVNC's page from the node's namespace (where
// nginx will proxy from), by a one-line Node program so the node needs no extra HTTP client.
import { inNetns, runCommand } from './exec.js';

// Prints the status code, or the error code; argv[1] is the URL.
const GET_STATUS_JS = `require('http').get(process.argv[1],{timeout:2000},r=>{console.log(r.statusCode);r.resume()})
.on('timeout',function(){this.destroy(new Error('timeout'))}).on('error',e=>console.log(e.code||e.message))`;

/** The status of GET http://address:port/vnc.html seen from `nodeNs`, or the socket error's code. */
export async function viewerStatus(
  nodeNs: string | undefined,
  address: string,
  port: number,
): Promise<string> {
  const url = `http://${address}:${port}/vnc.html`;
  const r = await runCommand(inNetns(nodeNs, [process.execPath, '-e', GET_STATUS_JS, url]), '', 10_000);
  return r.stdout.trim() || `exit ${r.code}`;
}
