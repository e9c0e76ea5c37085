// `npm run build:web`: builds the dashboard page (web/ -> web/dist). `convscope serve` also
// builds it when it is missing or older than its sources.
import { buildWeb, DIST_DIR } from '../src/server/web.js';

const ms = await buildWeb({ force: true });
console.log(`built the dashboard page into ${DIST_DIR} in ${Math.round(ms ?? 0)} ms`);
