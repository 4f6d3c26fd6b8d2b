// Which groups each user is in. The backend lists members per group, not groups per user, so the
// page reads every group once (one `show` each) and inverts it; groups are few (docs/policies.md).
import { useCallback, useEffect, useState } from 'react';
import type { GroupViewT } from '../../../../../core/api/admin-policies.js';
import { type Problem, problemOf } from '../../api.js';
import { usePanel } from '../../context.js';

export interface GroupMembership {
  readonly groups: readonly GroupViewT[];
  /** user id → names of the groups the user is in. */
  readonly byUser: ReadonlyMap<string, readonly string[]>;
  readonly problem: Problem | null;
  readonly reload: () => void;
}

const NONE: readonly string[] = [];

export function groupsOf(m: GroupMembership, userId: string): readonly string[] {
  return m.byUser.get(userId) ?? NONE;
}

export function useGroupMembership(enabled: boolean): GroupMembership {
  const { call } = usePanel();
  const [groups, setGroups] = useState<readonly GroupViewT[]>([]);
  const [byUser, setByUser] = useState<ReadonlyMap<string, readonly string[]>>(new Map());
  const [problem, setProblem] = useState<Problem | null>(null);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: generation triggers a reload after a change
  useEffect(() => {
    if (!enabled) return;
    let current = true;
    (async () => {
      try {
        const list = await call((c) => c.listGroups());
        const shown = await Promise.all(list.groups.map((g) => call((c) => c.showGroup(g.name))));
        const map = new Map<string, string[]>();
        for (const s of shown)
          for (const m of s.members) map.set(m.user_id, [...(map.get(m.user_id) ?? []), s.group.name]);
        if (!current) return; // a newer load (after a change) wins
        setGroups(list.groups);
        setByUser(map);
        setProblem(null);
      } catch (err) {
        if (current) setProblem(problemOf(err));
      }
    })();
    return () => {
      current = false;
    };
  }, [enabled, call, generation]);
  return { groups, byUser, problem, reload };
}
