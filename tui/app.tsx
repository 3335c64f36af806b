/**
 * The fleet view's root: holds which view is open and the state that must survive switching views
 * (cursor, sort, filter), routes keys, and runs the admin's actions. Data arrives through a throttled
 * store (a few redraws a second at most); key presses change local state and redraw at once.
 */
import React, { useMemo, useState } from 'react'
import { Box, useApp } from 'ink'
import { SORT_KEYS, fleetTotals, moveCursor, scrollTop, wantsArchived, EMPTY_FILTER, type SortSpec, type TaskFilter } from './view-model.ts'
import { TASK_STATUSES, type AgentView, type TaskView } from '../protocol/views.ts'
import type { FleetActions, FleetSource, ViewName } from './model.ts'
import { KeyRoot, useArchivedSplit, useFlash, useFleetSnapshot, useKeys, useTerminalSize } from './hooks.ts'
import { Footer, Header, StatusLine, keyHints, packHints, statusLines } from './chrome.tsx'
import { FleetView, TOTALS_LINES } from './fleet-view.tsx'
import { TasksView, taskRowsFor } from './tasks-view.tsx'
import { TaskDetail } from './task-detail.tsx'
import { AddTaskForm } from './add-task-form.tsx'
import { ImportView } from './import-view.tsx'
import { ExportView } from './export-view.tsx'
import { HelpView } from './help-view.tsx'
import { ChangeForm } from './edit-forms.tsx'
import { useRecentFailures } from './use-failures.ts'
import { START_NAV, resolveCursor, useAgentNames, useCursor, useTaskOrder, useWarmFilter, type TasksNav } from './use-task-index.ts'

export interface FleetAppProps {
  source: FleetSource
  actions: FleetActions
  onQuit?: () => void
  /** The view shown first (default Fleet). */
  initialView?: 'fleet' | 'tasks'
  /** Least time between redraws for data changes (default DATA_REDRAW_MS, 250 ms). */
  redrawMs?: number
}

interface DetailState {
  id: string
  pendingName: string | null
  scroll: number
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** The fleet view. Every key goes through one KeyRoot subscription (see hooks.ts for why). */
export function FleetApp(props: FleetAppProps): React.ReactElement {
  return (
    <KeyRoot>
      <FleetScreen {...props} />
    </KeyRoot>
  )
}

function FleetScreen({ source, actions, onQuit, initialView = 'fleet', redrawMs }: FleetAppProps): React.ReactElement {
  const { exit } = useApp()
  const { snapshot: all, store } = useFleetSnapshot(source, redrawMs)
  const { columns: width, rows } = useTerminalSize()
  const [view, setView] = useState<ViewName>(initialView)
  const [back, setBack] = useState<ViewName>(initialView)
  const [fleetNav, setFleetNav] = useState({ cursor: 0, top: 0 })
  const [nav, setNav] = useState<TasksNav>(START_NAV)
  const [sort, setSort] = useState<SortSpec>({ key: 'status', desc: false })
  const [filter, setFilter] = useState<TaskFilter>(EMPTY_FILTER)
  const [filtering, setFiltering] = useState(false)
  const [detail, setDetail] = useState<DetailState | null>(null)
  /** An action that asks first (cancel, delete, forget): y does it, n or Esc does not. */
  const [confirm, setConfirm] = useState<{ kind: 'cancel' | 'delete'; task: TaskView } | { kind: 'forget'; agent: AgentView } | null>(null)
  /** The task (view 'edit') or agent (view 'agent') a form changes, by id. */
  const [editing, setEditing] = useState<string | null>(null)
  const [flash, setFlash] = useFlash()
  // Archived tasks are listed only when the filter line says `archived` (as task list --archived).
  const snapshot = useArchivedSplit(all, wantsArchived(filter))

  const agentNames = useAgentNames(snapshot)
  // Only the open view's numbers are computed: on 50,000 tasks each pass costs milliseconds per update.
  const onFleet = view === 'fleet'
  const totals = useMemo(() => (onFleet ? fleetTotals(snapshot) : null), [snapshot, onFleet])
  const order = useTaskOrder(snapshot, agentNames, sort, filter, !onFleet)
  const cursor = useCursor(snapshot, order, nav)
  useWarmFilter(snapshot, agentNames, view === 'tasks' && filtering)

  // One line is left free at the bottom: a frame as tall as the terminal makes ink clear the screen on
  // every redraw (flicker); one line shorter lets it rewrite in place.
  const height = Math.max(8, rows - 1)
  const footerLines = packHints(keyHints(view, { filtering: view === 'tasks' && filtering, confirming: confirm !== null }), width)
  const statusText =
    confirm?.kind === 'delete'
      ? `Delete ${confirm.task.name} for good (gone from the list, the fleet view and reports)? y yes, n no`
      : confirm?.kind === 'forget'
        ? `Forget agent ${confirm.agent.name} (it shows again if it comes back online)? y yes, n no`
        : flash
  const bodyHeight = Math.max(3, height - 1 - statusLines(statusText, width) - footerLines.length)
  const taskRows = taskRowsFor(bodyHeight)
  const top = scrollTop(nav.top, cursor, taskRows, order.length)
  const selectedTask: TaskView | undefined = order.length > 0 ? snapshot.tasks[order[cursor]!] : undefined
  const snapshotTask = useMemo(() => (detail ? (snapshot.tasks.find((t) => t.id === detail.id) ?? null) : null), [snapshot.tasks, detail])
  const detailTask = useRecentFailures(actions, view === 'detail' ? snapshotTask : null) ?? snapshotTask

  const quit = (): void => {
    onQuit?.()
    exit()
  }
  const open = (next: ViewName): void => {
    if (view === 'fleet' || view === 'tasks') setBack(view)
    setView(next)
  }
  /** Runs an action on a task; says what happened, or why not, in the status line. */
  const act = (done: string, verb: string, task: TaskView, fn: (id: string) => Promise<void>): void => {
    fn(task.id).then(
      () => {
        setFlash(`${done} ${task.name}`)
        store.flush()
      },
      (err: unknown) => setFlash(`could not ${verb} ${task.name}: ${errorText(err)}`),
    )
  }
  const pauseOrResume = (task: TaskView): void => {
    if (task.status === 'paused') act('Resumed', 'resume', task, (id) => actions.resume(id))
    else if (task.status === 'queued' || task.status === 'scanning' || task.status === 'in-progress') act('Paused', 'pause', task, (id) => actions.pause(id))
    else setFlash(`${task.name} is ${task.status}: nothing to pause (r reruns it)`)
  }
  const rerun = (task: TaskView): void => act('Rerun started for', 'rerun', task, (id) => actions.rerun(id))
  const running = (task: TaskView): boolean => task.status === 'scanning' || task.status === 'in-progress'
  const archiveOrUnarchive = (task: TaskView): void => {
    if (task.archived) return act('Unarchived', 'unarchive', task, (id) => actions.unarchive(id))
    if (running(task)) return setFlash(`${task.name} is ${task.status}: pause (p) or cancel it first, then archive it`)
    act('Archived', 'archive', task, (id) => actions.archive(id))
  }
  const askDelete = (task: TaskView): void => {
    if (running(task)) return setFlash(`${task.name} is ${task.status}: pause (p) or cancel it first, then delete it`)
    setConfirm({ kind: 'delete', task })
  }
  const openEdit = (task: TaskView): void => {
    if (running(task)) return setFlash(`${task.name} is ${task.status}: pause or cancel it first, then edit it`)
    // Opened from the list, a detail left by Tab must not be where the form returns to.
    if (view !== 'detail') setDetail(null)
    setEditing(task.id)
    open('edit')
  }
  const openDetail = (task: TaskView): void => {
    setDetail({ id: task.id, pendingName: null, scroll: 0 })
    setConfirm(null)
    open('detail')
  }

  // Keys that work wherever no text is being typed.
  const editTask = view === 'edit' ? all.tasks.find((t) => t.id === editing) : undefined
  const editAgent = view === 'agent' ? snapshot.agents.find((a) => a.id === editing) : undefined
  // A form whose task or agent is gone is no form: the keys below take Esc.
  const typing = view === 'add' || view === 'import' || view === 'export' || editTask !== undefined || editAgent !== undefined || (view === 'tasks' && filtering)
  useKeys((input, key) => {
    if (confirm) {
      if (input === 'y') {
        setConfirm(null)
        if (confirm.kind === 'forget') {
          const a = confirm.agent
          actions.forgetAgent(a.id).then(
            () => (setFlash(`Forgot agent ${a.name}`), store.flush()),
            (err: unknown) => setFlash(`could not forget ${a.name}: ${errorText(err)}`),
          )
        } else if (confirm.kind === 'cancel') act('Cancelled', 'cancel', confirm.task, (id) => actions.cancel(id))
        else {
          act('Deleted', 'delete', confirm.task, (id) => actions.deleteTask(id))
          if (view === 'detail') {
            setDetail(null)
            setView('tasks')
          }
        }
      } else if (input === 'n' || key.escape) setConfirm(null)
      return
    }
    if (input === 'q') return quit()
    if (input === '?') return view === 'help' ? setView(back) : open('help')
    if (key.tab) {
      const next = view === 'fleet' ? 'tasks' : 'fleet'
      setBack(next)
      return setView(next)
    }
    if (input === 'a') return open('add')
    if (input === 'i') return open('import')
    if (input === 'e') return open('export')

    if (view === 'help' || view === 'edit' || view === 'agent') {
      if (key.escape) setView(back)
      return
    }
    if (view === 'fleet') {
      const n = snapshot.agents.length
      const listHeight = Math.max(1, bodyHeight - TOTALS_LINES - 1)
      // Updates are functional: two keys arriving before a redraw must both count.
      if (moveCursor(0, 2, 1, input, key) !== null)
        return setFleetNav((f) => {
          const moved = moveCursor(Math.min(f.cursor, n - 1), n, listHeight, input, key) ?? 0
          return { cursor: moved, top: scrollTop(f.top, moved, listHeight, n) }
        })
      const agent = snapshot.agents[fleetNav.cursor]
      if (key.return && agent) {
        setFilter({ text: `agent:${/\s/.test(agent.name) ? `"${agent.name}"` : agent.name}`, status: null })
        setNav(START_NAV)
        setBack('tasks')
        setView('tasks')
      }
      if (input === 's' && agent) {
        setEditing(agent.id)
        open('agent')
      }
      if (input === 'F' && agent) setConfirm({ kind: 'forget', agent })
      return
    }
    if (view === 'tasks') {
      if (moveCursor(0, 2, 1, input, key) !== null) {
        const { tasks } = snapshot
        return setNav((prev) => {
          const from = resolveCursor(tasks, order, prev)
          const moved = moveCursor(from, order.length, taskRows, input, key) ?? 0
          const t = tasks[order[moved] ?? -1]
          return { cursor: moved, top: scrollTop(prev.top, moved, taskRows, order.length), selectedId: t ? t.id : null }
        })
      }
      if (input === '/') return setFiltering(true)
      if (input === 'f') {
        return setFilter((f) => {
          const i = f.status === null ? 0 : TASK_STATUSES.indexOf(f.status) + 1
          return { ...f, status: i < TASK_STATUSES.length ? TASK_STATUSES[i]! : null }
        })
      }
      if (input === 's') return setSort((s) => ({ key: SORT_KEYS[(SORT_KEYS.indexOf(s.key) + 1) % SORT_KEYS.length]!, desc: false }))
      if (input === 'S') return setSort((s) => ({ ...s, desc: !s.desc }))
      if (key.escape && (filter.text || filter.status)) return setFilter(EMPTY_FILTER)
      if (!selectedTask) return
      if (key.return) return openDetail(selectedTask)
      if (input === 'p') return pauseOrResume(selectedTask)
      if (input === 'r') return rerun(selectedTask)
      if (input === 'A') return archiveOrUnarchive(selectedTask)
      if (input === 'D') return askDelete(selectedTask)
      if (input === 'E') return openEdit(selectedTask)
      return
    }
    if (view === 'detail') {
      if (key.escape) {
        setDetail(null)
        return setView('tasks')
      }
      if (key.downArrow || input === 'j') return setDetail((d) => (d ? { ...d, scroll: d.scroll + 1 } : d))
      if (key.upArrow || input === 'k') return setDetail((d) => (d ? { ...d, scroll: Math.max(0, d.scroll - 1) } : d))
      if (!detailTask) return
      if (input === 'p') return pauseOrResume(detailTask)
      if (input === 'r') return rerun(detailTask)
      if (input === 'A') return archiveOrUnarchive(detailTask)
      if (input === 'D') return askDelete(detailTask)
      if (input === 'E') return openEdit(detailTask)
      if (input === 'c') {
        if (detailTask.status === 'cancelled' || detailTask.status === 'completed') return setFlash(`${detailTask.name} is ${detailTask.status}: nothing to cancel`)
        return setConfirm({ kind: 'cancel', task: detailTask })
      }
    }
  }, !typing)

  // The filter line: Enter keeps the filter, Esc drops it; the text itself is typed into the TextField.
  useKeys((_input, key) => {
    if (key.return) setFiltering(false)
    else if (key.escape) {
      setFilter((f) => ({ ...f, text: '' }))
      setFiltering(false)
    }
  }, view === 'tasks' && filtering)

  const selfName = agentNames.get(snapshot.self) ?? snapshot.self
  // The edit form opened from a task's detail goes back to that detail.
  const backFromForm = (): void => setView(view === 'edit' && detail ? 'detail' : back === 'fleet' || back === 'tasks' ? back : 'tasks')

  let body: React.ReactElement
  switch (view) {
    case 'fleet':
      body = <FleetView snapshot={snapshot} totals={totals ?? fleetTotals(snapshot)} width={width} height={bodyHeight} cursor={Math.min(fleetNav.cursor, Math.max(0, snapshot.agents.length - 1))} top={fleetNav.top} />
      break
    case 'tasks':
      body = (
        <TasksView
          snapshot={snapshot}
          order={order}
          agentNames={agentNames}
          width={width}
          height={bodyHeight}
          cursor={cursor}
          top={top}
          sort={sort}
          filter={filter}
          filtering={filtering}
          onFilterText={(update) => setFilter((f) => ({ ...f, text: update(f.text) }))}
        />
      )
      break
    case 'detail':
      body = (
        <TaskDetail
          task={detailTask}
          pendingName={detail?.pendingName ?? null}
          taskId={detail?.id ?? ''}
          live={detail ? snapshot.live[detail.id] : undefined}
          at={snapshot.at}
          agentNames={agentNames}
          width={width}
          height={bodyHeight}
          scroll={detail?.scroll ?? 0}
          confirmCancel={confirm?.kind === 'cancel'}
        />
      )
      break
    case 'add':
      body = (
        <AddTaskForm
          actions={actions}
          width={width}
          height={bodyHeight}
          onCancel={backFromForm}
          onError={setFlash}
          onAdded={(id, name) => {
            setFlash(`Added ${name} (${id})`)
            setDetail({ id, pendingName: name, scroll: 0 })
            setNav((n) => ({ ...n, selectedId: id }))
            setBack('tasks')
            setView('detail')
            store.flush()
          }}
        />
      )
      break
    case 'import':
      body = (
        <ImportView
          actions={actions}
          width={width}
          height={bodyHeight}
          onCancel={backFromForm}
          onDone={(ids) => {
            setFlash(`Imported ${ids.length} task${ids.length === 1 ? '' : 's'}`)
            setBack('tasks')
            setView('tasks')
            store.flush()
          }}
        />
      )
      break
    case 'export':
      body = <ExportView actions={actions} width={width} height={bodyHeight} onCancel={backFromForm} onDone={setFlash} />
      break
    case 'help':
      body = <HelpView width={width} height={bodyHeight} />
      break
    case 'edit':
    case 'agent': {
      const done = (message: string): void => {
        setFlash(message)
        store.flush()
        backFromForm()
      }
      body = <ChangeForm task={editTask} agent={editAgent} actions={actions} width={width} height={bodyHeight} onDone={done} onCancel={backFromForm} />
      break
    }
  }

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Header view={view} selfName={selfName} at={snapshot.at} width={width} />
      <Box height={bodyHeight} flexDirection="column">
        {body}
      </Box>
      <StatusLine text={statusText} width={width} />
      <Footer lines={footerLines} />
    </Box>
  )
}
