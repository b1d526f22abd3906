// Page boot shared by the apps: start this tab's node from the URL, expose it as window.dynamo,
// keep the status bar ("connected to N peers") live, and show a clear message if it cannot start.

import { optionsFromUrl, pageIceConfig, startNode, type DynamoNode } from '../../runtime';
import { coalesce } from './dom';
import { secretOf } from './invite';

declare global {
  interface Window {
    dynamo?: DynamoNode;
  }
}

export async function boot(status: HTMLElement): Promise<DynamoNode | undefined> {
  keepQueryInLinks();
  status.textContent = 'Starting node…';
  try {
    const options = optionsFromUrl(location);
    // STUN/TURN from ?ice= or the signaling server's /ice.json (short-lived TURN credentials).
    const ice = await pageIceConfig(location, options.signalingUrl, (url, init) => fetch(url, init));
    const node = await startNode({ ...options, ...ice });
    window.dynamo = node;
    // Another secret is another room: start over in it rather than keep serving this one.
    const secret = secretOf(location.hash);
    addEventListener('hashchange', () => secretOf(location.hash) !== secret && location.reload());
    // Closing the tab says goodbye on every link, so peers mark it down at once.
    addEventListener('pagehide', () => void node.stop());
    // Deferred: listeners may run while the transport is still applying the change that fired
    // them (faults.isolate/heal), when its peer list is not yet the new one.
    const render = coalesce(() => renderStatus(status, node), 0);
    node.on('members', render);
    renderStatus(status, node);
    document.documentElement.dataset.node = node.id;
    return node;
  } catch (err) {
    status.textContent = `Could not start this node: ${err instanceof Error ? err.message : String(err)}`;
    status.classList.add('error');
    return undefined;
  }
}

/**
 * Links between the pages keep ?room=&n=&r=&w= and the #secret= fragment: without them the other page
 * would join another ring.
 */
function keepQueryInLinks(): void {
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    if (a.origin !== location.origin) continue;
    a.search = location.search;
    a.hash = location.hash;
  }
}

function renderStatus(el: HTMLElement, node: DynamoNode): void {
  const peers = node.transport.peers().length;
  const members = node.members().length;
  const { n } = node.options;
  el.replaceChildren(
    text('strong', node.id),
    document.createTextNode(` · room ${node.room.name}${node.room.protected ? ' (protected)' : ''} · `),
    text('span', `connected to ${peers} ${peers === 1 ? 'peer' : 'peers'}`, 'peer-count'),
  );
  if (members < n) {
    el.append(text('span', ` · ring has ${members} of N=${n} nodes: writes are kept on ${members} only — open more tabs`, 'warning'));
  }
  el.dataset.peers = String(peers);
}

export function text(tag: string, content: string, className?: string): HTMLElement {
  const el = document.createElement(tag);
  el.textContent = content;
  if (className) el.className = className;
  return el;
}
