import { BackendBadge, BackendNotice, BackendSelect } from './BackendBadge';
import { RunButtons, Settings } from './Controls';
import { ErrorBanner, UrlNotice } from './ErrorBanner';
import { DataPanel } from './panels/DataPanel';
import { FlopsPanel } from './panels/FlopsPanel';
import { KnnPanel } from './panels/KnnPanel';
import { LossPanel } from './panels/LossPanel';
import { SparsitySlot } from './SparsitySlot';
import { Stats } from './Stats';
import { Timeline } from './Timeline';

export function App() {
  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <h1>SparseCL Playground</h1>
          <p>Watch a small network learn without labels — SimCLR and BYOL on your GPU — while pruning and gating act on it.</p>
        </div>
        <div className="backend-box">
          <BackendBadge />
          <BackendSelect />
        </div>
      </header>
      <div className="controlbar">
        <RunButtons />
        <Stats />
      </div>
      <Timeline />
      <div className="notices">
        <BackendNotice />
        <UrlNotice />
        <ErrorBanner />
      </div>
      <main className="columns">
        <div className="column">
          <h3 className="column-title">Data &amp; settings</h3>
          <Settings />
          <DataPanel />
        </div>
        <div className="column">
          <h3 className="column-title">Sparsity</h3>
          <SparsitySlot />
        </div>
        <div className="column">
          <h3 className="column-title">Output</h3>
          <LossPanel />
          <KnnPanel />
          <FlopsPanel />
        </div>
      </main>
      <footer className="footer small muted">
        Same engine as <code>npm run train</code>. Every run is seeded: reset gives the same weights, batches and views.
      </footer>
    </div>
  );
}
