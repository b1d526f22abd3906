// The live ring console page (/ring.html): this tab's node and the full ring panel.

import { boot } from '../shared/boot';
import { mountRingPanel } from './panel';

const status = document.getElementById('status') as HTMLElement;
const root = document.getElementById('console') as HTMLElement;

const node = await boot(status);
if (node) {
  const key = new URLSearchParams(location.search).get('key') ?? `cart:${new URLSearchParams(location.search).get('user') ?? 'alice'}`;
  mountRingPanel(root, node, { key });
}
