import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '../components/components.css';
import './panel.css';
import { PanelApiClient } from './api-client';
import { PanelApp } from './panel-app';
import { PanelProvider } from './panel-context';
import { createPanelStore } from './panel-store';

// Composition root of the web control panel: one API client, one store, the app.
const client = new PanelApiClient();
const store = createPanelStore(client);

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <PanelProvider client={client} store={store}>
      <PanelApp />
    </PanelProvider>
  </StrictMode>,
);
