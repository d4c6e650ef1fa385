// The whole CLI (dist/hbw-cli.js), which bin/hbw.ts loads for every command but the agent's own.
// The SDK warns that its releases from 2027 need Node 22; the CLI supports Node 20 and says so in the README.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { launch } from '../cli/launch';
import { main } from '../cli/main';

launch(main);
