import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { api, type EnvironmentDetail, unwrap } from '../api/client';
import { navigate } from '../router';

type Action = 'redeploy' | 'retry' | 'delete' | 'deploy';

const REQUESTED: Record<Action, string> = {
  redeploy: 'Redeploy requested.',
  retry: 'Retry requested.',
  delete: 'Deletion requested.',
  deploy: 'Approved; deploy requested.',
};

/**
 * Redeploy, Retry and Delete (confirmed by typing the namespace), and Approve and deploy while the head commit
 * is not the deployed one (a fork's new commit, a PR waiting for its label); a refused one is disabled with its
 * reason.
 */
export function EnvironmentActions({ environment }: { environment: EnvironmentDetail }) {
  const queryClient = useQueryClient();
  const [message, setMessage] = useState('');
  const dialog = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState('');
  const ref = { params: { path: { ref: environment.namespace } } };
  const act = useMutation({
    mutationFn: async (action: Action) => {
      if (action === 'delete') return unwrap(await api.DELETE('/api/v1/environments/{ref}', ref));
      if (action === 'retry') return unwrap(await api.POST('/api/v1/environments/{ref}/retry', ref));
      if (action === 'deploy') {
        const [owner = '', repo = ''] = environment.repo.split('/');
        const path = { owner, repo, number: environment.prNumber };
        return unwrap(
          await api.POST('/api/v1/repos/{owner}/{repo}/pulls/{number}/deploy', { params: { path } }),
        );
      }
      return unwrap(await api.POST('/api/v1/environments/{ref}/redeploy', ref));
    },
    onSuccess: (answer, action) => {
      setMessage(REQUESTED[action]);
      void queryClient.invalidateQueries({ queryKey: ['environments'] });
      void queryClient.invalidateQueries({ queryKey: ['environment', answer.environment.namespace] });
      if (action === 'delete') {
        dialog.current?.close();
        navigate('/');
      }
    },
    onError: (error) => setMessage(error.message),
  });
  const button = (action: Action, label: string, onClick: () => void) => {
    const permission = environment.permissions[action];
    const reasonId = `${action}-reason`;
    return (
      <div className="action">
        <button
          type="button"
          className={action === 'delete' ? 'danger' : undefined}
          disabled={!permission.allowed || act.isPending}
          aria-describedby={permission.allowed ? undefined : reasonId}
          onClick={onClick}
        >
          {label}
        </button>
        {permission.allowed ? null : (
          <span id={reasonId} className="reason">
            {permission.reason}
          </span>
        )}
      </div>
    );
  };
  return (
    <section aria-labelledby="actions-heading" className="actions">
      <h2 id="actions-heading" className="visually-hidden">
        Actions
      </h2>
      {environment.headSha === environment.deployedSha
        ? null
        : button('deploy', `Approve and deploy ${environment.headSha.slice(0, 7)}`, () =>
            act.mutate('deploy'),
          )}
      {button('redeploy', 'Redeploy', () => act.mutate('redeploy'))}
      {button('retry', 'Retry', () => act.mutate('retry'))}
      {button('delete', 'Delete…', () => {
        setTyped('');
        dialog.current?.showModal();
      })}
      <p role="status" className="action-message">
        {message}
      </p>
      <dialog ref={dialog} aria-labelledby="delete-heading">
        <form
          method="dialog"
          onSubmit={(event) => {
            event.preventDefault();
            if (typed === environment.namespace) act.mutate('delete');
          }}
        >
          <h2 id="delete-heading">Delete {environment.namespace}?</h2>
          <p>
            The preview stops and everything it created is removed. A push to the pull request brings it back.
          </p>
          <label>
            Type <strong className="mono">{environment.namespace}</strong> to confirm
            <input value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
          </label>
          <div className="dialog-buttons">
            <button type="button" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button
              type="submit"
              className="danger"
              disabled={typed !== environment.namespace || act.isPending}
            >
              Delete preview
            </button>
          </div>
          {act.isError ? (
            <p role="alert" className="error">
              {act.error.message}
            </p>
          ) : null}
        </form>
      </dialog>
    </section>
  );
}
