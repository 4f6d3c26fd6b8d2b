// What the CLI's `viworks gui` uses of the GUI: start its local server over a LocalClient, and the
// opener page that keeps the launch token out of every command line.
export { defaultGuiDir, loadGuiAssets } from './server/assets.js';
export { type GuiServer, startGuiServer } from './server/gui-server.js';
export { writeOpenerPage } from './server/opener.js';
