// The Users & teams view: every user with their role and teams; an Admin adds users, changes roles, puts users in teams or takes them out, removes a user (choosing first who takes over their contacts) and signs in as another user. Read-only for others, and while a cloud account supplies the users.
import { useEffect, useId, useState, type FormEvent, type ReactNode } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, api, errorMessage, type Role, type User, type UserChange } from "./api";
import { ConfirmDialog } from "./ConfirmDialog";
import { APP_INFO_KEY, CLOUD_STATUS_KEY, USERS_KEY } from "./queryKeys";
import { RemoveUserDialog } from "./RemoveUserDialog";

type Props = {
  /** A dialog of this view is open: the rest of the window is inert meanwhile. */
  onModalChange: (open: boolean) => void;
  /** Cardfile now acts as this user (their name). */
  onSignedIn: (who: string) => void;
};

export const ROLES: { role: Role; label: string }[] = [
  { role: "admin", label: "Admin" },
  { role: "team-manager", label: "Team Manager" },
  { role: "member", label: "Member" },
];

export function roleLabel(role: Role): string {
  return ROLES.find((r) => r.role === role)?.label ?? role;
}

const nameOf = (u: User) => u.name || u.email;

type Dialog = { kind: "sign-in"; user: User } | { kind: "remove"; user: User };

export function UsersView({ onModalChange, onSignedIn }: Props) {
  const qc = useQueryClient();
  const users = useQuery({ queryKey: USERS_KEY, queryFn: api.listUsers, staleTime: 0 });
  const me = useQuery({ queryKey: APP_INFO_KEY, queryFn: api.appInfo });
  const cloud = useQuery({ queryKey: CLOUD_STATUS_KEY, queryFn: api.cloudStatus, staleTime: 0 });
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  useEffect(() => {
    onModalChange(dialog !== null);
  }, [dialog, onModalChange]);
  useEffect(() => () => onModalChange(false), [onModalChange]);

  const cloudUrl = cloud.data?.url ?? null;
  const admin = me.data?.role === "admin";
  const editable = admin && cloud.data !== undefined && cloudUrl === null;
  const list = users.data;
  const teams = [...new Set((list ?? []).flatMap((u) => u.teams))].sort();

  const refresh = () => {
    void qc.invalidateQueries({ queryKey: USERS_KEY });
  };
  const change = useMutation({
    mutationFn: ({ email, change }: { email: string; change: UserChange }) => api.updateUser(email, change),
    onMutate: () => {
      setError(null);
      setDone(null);
    },
    onSuccess: refresh,
    onError: (e) => {
      setError(errorMessage(e));
      refresh();
    },
  });
  const signIn = useMutation({
    mutationFn: (u: User) => api.signInAs(u.email),
    onSuccess: (_, u) => {
      setDialog(null);
      // Everything on screen was what the previous user may see: start again as the new one.
      void qc.resetQueries();
      onSignedIn(nameOf(u));
    },
  });

  const set = (u: User, c: Partial<UserChange>) =>
    change.mutate({ email: u.email, change: { role: null, add_teams: [], remove_teams: [], ...c } });

  return (
    <div className="outbox users">
      {cloudUrl !== null ? (
        <p className="muted view-intro">
          Users come from the cloud account ({cloudUrl}) and are read-only here: change them in OnceHub, and the next sync
          brings the change.
        </p>
      ) : !admin && me.data ? (
        <p className="muted view-intro">Only an Admin can add or change users: ask your administrator.</p>
      ) : (
        <p className="muted view-intro">
          An Admin sees every contact, a Team Manager their teams&rsquo; contacts, a Member their own.
        </p>
      )}

      {editable && <AddUser teams={teams} onAdded={(u) => setDone(`Added ${nameOf(u)}`)} />}

      {done && (
        <p role="status" className="muted">
          {done}
        </p>
      )}
      {error && (
        <p role="alert" className="form-error">
          {error}
        </p>
      )}
      <datalist id="team-names">
        {teams.map((t) => (
          <option key={t} value={t} />
        ))}
      </datalist>

      {users.isError ? (
        <p role="alert" className="form-error">
          {errorMessage(users.error)}
        </p>
      ) : list === undefined ? (
        <p className="muted">Loading users…</p>
      ) : (
        <table className="report users-table">
          <caption className="visually-hidden">Users</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Teams</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((u) => {
              const self = u.email === me.data?.user_email;
              return (
                <tr key={u.email} data-user={u.email}>
                  <td>
                    {nameOf(u)}
                    {self && <span className="muted"> (signed in)</span>}
                  </td>
                  <td>{u.email}</td>
                  <td>
                    {editable ? (
                      <select
                        className="select"
                        aria-label={`Role of ${nameOf(u)}`}
                        value={u.role}
                        disabled={change.isPending}
                        onChange={(e) => set(u, { role: e.target.value as Role })}
                      >
                        {ROLES.map((r) => (
                          <option key={r.role} value={r.role}>
                            {r.label}
                          </option>
                        ))}
                      </select>
                    ) : (
                      roleLabel(u.role)
                    )}
                  </td>
                  <td>
                    <Teams user={u} editable={editable} busy={change.isPending} onChange={(c) => set(u, c)} />
                  </td>
                  <td className="outbox-actions">
                    {admin && !self && cloudUrl === null && (
                      <button type="button" className="button" onClick={() => setDialog({ kind: "sign-in", user: u })}>
                        Sign in as…
                      </button>
                    )}
                    {editable && !self && (
                      <button
                        type="button"
                        className="button"
                        aria-label={`Remove ${nameOf(u)}…`}
                        onClick={() => setDialog({ kind: "remove", user: u })}
                      >
                        Remove…
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}

      {dialog?.kind === "sign-in" && (
        <ConfirmDialog
          title={`Sign in as ${nameOf(dialog.user)}?`}
          confirm={`Sign in as ${nameOf(dialog.user)}`}
          pending={signIn.isPending}
          error={signIn.error}
          onConfirm={() => signIn.mutate(dialog.user)}
          onCancel={() => {
            signIn.reset();
            setDialog(null);
          }}
        >
          <p>
            Cardfile will act as {nameOf(dialog.user)} ({roleLabel(dialog.user.role)}), here and on the command line: the
            contacts, searches and every change follow their role.
          </p>
          {dialog.user.role !== "admin" && (
            <p>
              Only an Admin can sign in as someone else, so coming back takes an Admin: <code>cardfile --as ADMIN settings set user EMAIL</code>.
            </p>
          )}
        </ConfirmDialog>
      )}
      {dialog?.kind === "remove" && list && (
        <RemoveUserDialog
          user={dialog.user}
          others={list.filter((o) => o.email !== dialog.user.email)}
          onCancel={() => setDialog(null)}
          onRemoved={(text) => {
            setDialog(null);
            setDone(text);
            // Their contacts changed owner.
            void qc.invalidateQueries();
          }}
        />
      )}
    </div>
  );
}

/** A user's teams: each with a button taking them out; a field and Add putting them in one (created when new). */
function Teams({
  user,
  editable,
  busy,
  onChange,
}: {
  user: User;
  editable: boolean;
  busy: boolean;
  onChange: (c: Partial<UserChange>) => void;
}) {
  const [team, setTeam] = useState("");
  const name = nameOf(user);
  if (!editable) return <>{user.teams.length ? user.teams.join(", ") : <span className="muted">None</span>}</>;
  const add = (e: FormEvent) => {
    e.preventDefault();
    if (!team.trim()) return;
    onChange({ add_teams: [team.trim()] });
    setTeam("");
  };
  return (
    <div className="teams">
      {user.teams.map((t) => (
        <span key={t} className="team-chip">
          {t}
          <button
            type="button"
            className="chip-remove"
            aria-label={`Take ${name} out of ${t}`}
            title={`Take ${name} out of ${t}`}
            disabled={busy}
            onClick={() => onChange({ remove_teams: [t] })}
          >
            ×
          </button>
        </span>
      ))}
      <form className="team-add" onSubmit={add}>
        <input
          className="select"
          list="team-names"
          aria-label={`Team for ${name}`}
          placeholder="Team"
          value={team}
          onChange={(e) => setTeam(e.target.value)}
        />
        <button type="submit" className="button" aria-label={`Add ${name} to the team`} disabled={busy || !team.trim()}>
          Add
        </button>
      </form>
    </div>
  );
}

/** The Add user form: email, name, role and (optionally) a team; a refusal is shown at its field. */
function AddUser({ teams, onAdded }: { teams: string[]; onAdded: (u: User) => void }) {
  const qc = useQueryClient();
  const id = useId();
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [team, setTeam] = useState("");
  const add = useMutation({
    mutationFn: () => api.addUser(email, name, role, team.trim() || null),
    onSuccess: (u) => {
      void qc.invalidateQueries({ queryKey: USERS_KEY });
      setEmail("");
      setName("");
      setTeam("");
      onAdded(u);
    },
  });
  const err = add.error;
  const fieldError = (field: string) => (err instanceof ApiError && err.field === field ? err.message : null);
  const other = err && !fieldError("email") && !fieldError("name") && !fieldError("team") ? errorMessage(err) : null;
  const row = (key: string, text: string, input: ReactNode) => (
    <div className="field">
      <label htmlFor={`${id}${key}`}>{text}</label>
      {input}
      {fieldError(key) && (
        <p id={`${id}${key}-error`} className="field-error">
          {fieldError(key)}
        </p>
      )}
    </div>
  );
  return (
    <form
      className="add-user"
      aria-label="Add a user"
      onSubmit={(e) => {
        e.preventDefault();
        if (!add.isPending) add.mutate();
      }}
    >
      <div className="add-user-fields">
        {row(
          "email",
          "Email",
          <input
            id={`${id}email`}
            type="email"
            autoComplete="off"
            value={email}
            aria-invalid={fieldError("email") ? true : undefined}
            aria-describedby={fieldError("email") ? `${id}email-error` : undefined}
            onChange={(e) => setEmail(e.target.value)}
          />,
        )}
        {row(
          "name",
          "Name",
          <input
            id={`${id}name`}
            autoComplete="off"
            value={name}
            aria-invalid={fieldError("name") ? true : undefined}
            aria-describedby={fieldError("name") ? `${id}name-error` : undefined}
            onChange={(e) => setName(e.target.value)}
          />,
        )}
        {row(
          "role",
          "Role",
          <select id={`${id}role`} value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r.role} value={r.role}>
                {r.label}
              </option>
            ))}
          </select>,
        )}
        {row(
          "team",
          "Team",
          <input id={`${id}team`} list="team-names" autoComplete="off" placeholder={teams.length ? "" : "Optional"} value={team} onChange={(e) => setTeam(e.target.value)} />,
        )}
        <button type="submit" className="button primary" aria-disabled={add.isPending || undefined}>
          Add user
        </button>
      </div>
      {other && (
        <p role="alert" className="form-error">
          {other}
        </p>
      )}
    </form>
  );
}
