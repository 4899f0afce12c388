import { BackendBadge, BackendNotice, BackendSelect } from './BackendBadge';
import { ClassroomLink, initClassroomFromUrl, LessonCard } from './Classroom';
import { RunButtons, Settings } from './Controls';
import { ErrorBanner, UrlNotice } from './ErrorBanner';
import { ResumeOffer } from './ResumeOffer';
import { KeyboardShortcuts, KeysButton } from './Keyboard';
import { DataPanel } from './panels/DataPanel';
import { FlopsPanel } from './panels/FlopsPanel';
import { KnnPanel } from './panels/KnnPanel';
import { LossPanel } from './panels/LossPanel';
import { PanelGuard } from './panels/PanelGuard';
import { SettingsPanel } from './SettingsPanel';
import { SparsitySlot } from './SparsitySlot';
import { Stats } from './Stats';
import { Timeline } from './Timeline';
import { useSettings } from '../store/settings';

// ?classroom=1 is read before the first render, so the page never flashes the full controls.
initClassroomFromUrl();

export function App() {
  const classroom = useSettings((s) => s.classroom);
  const columns = (
    <main className="columns">
      <div className="column">
        <h3 className="column-title">Data &amp; settings</h3>
        <Settings />
        <PanelGuard title="Data and views">
          <DataPanel />
        </PanelGuard>
      </div>
      <div className="column">
        <h3 className="column-title">Sparsity</h3>
        <SparsitySlot />
      </div>
      <div className="column">
        <h3 className="column-title">Output</h3>
        <PanelGuard title="Loss">
          <LossPanel />
        </PanelGuard>
        <PanelGuard title="kNN accuracy">
          <KnnPanel />
        </PanelGuard>
        <PanelGuard title="FLOPs: dense vs effective">
          <FlopsPanel />
        </PanelGuard>
      </div>
    </main>
  );
  return (
    <div className={`app${classroom ? ' classroom' : ''}`} data-classroom={classroom ? '1' : '0'}>
      <KeyboardShortcuts />
      <header className="topbar">
        <div className="brand">
          <h1>SparseCL Playground</h1>
          <p>Watch a small network learn without labels — SimCLR and BYOL, in your browser, on whichever of its backends is fastest here — while pruning and gating act on it.</p>
        </div>
        <div className="backend-box">
          <BackendBadge />
          {!classroom && <BackendSelect />}
          {!classroom && <ClassroomLink />}
          <KeysButton />
        </div>
      </header>
      <div className="controlbar">
        <RunButtons />
        <Stats />
      </div>
      <Timeline />
      <div className="notices">
        <BackendNotice />
        <ResumeOffer />
        <UrlNotice />
        <ErrorBanner />
      </div>
      {!classroom && <SettingsPanel />}
      {classroom ? (
        <div className="classroom-layout">
          <aside className="lesson-aside">
            <LessonCard />
          </aside>
          {columns}
        </div>
      ) : (
        columns
      )}
      <footer className="footer small muted">
        Same engine as <code>npm run train</code>. Every run is seeded: reset gives the same weights, batches and views. Press <kbd>?</kbd> for the keyboard shortcuts.
      </footer>
    </div>
  );
}
