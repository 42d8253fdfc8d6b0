import { commentJson } from './fixtures.ts';
import { error, notFound, paginate, type Route, stringField, withLink } from './route.ts';

export const commentRoutes: Route[] = [
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
    auth: 'installation',
    handle: (request, { api, repo }) => {
      const issue = Number(request.params.issue_number);
      if (!repo.pulls.has(issue)) return notFound();
      const comments = [...repo.comments.values()]
        .filter((comment) => comment.issueNumber === issue)
        .sort((a, b) => a.id - b.id);
      const { page, link } = paginate(comments, request, api);
      return withLink(
        page.map((comment) => commentJson(api, repo, comment)),
        link,
      );
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
    auth: 'installation',
    handle: (request, { api, repo, state }) => {
      const issue = Number(request.params.issue_number);
      if (!repo.pulls.has(issue)) return notFound();
      const body = stringField(request.body, 'body');
      if (body === undefined) return error(422, 'Invalid request.\n\n"body" wasn\'t supplied.');
      if (body.length > 65536) return error(422, 'Validation Failed', { errors: [{ code: 'too_long' }] });
      const now = state.nowIso();
      const comment = {
        id: state.nextId(),
        issueNumber: issue,
        body,
        user: state.bot,
        createdAt: now,
        updatedAt: now,
      };
      repo.comments.set(comment.id, comment);
      const json = commentJson(api, repo, comment);
      return { status: 201, body: json, headers: { location: json.url } };
    },
  },
  {
    method: 'PATCH',
    template: '/repos/{owner}/{repo}/issues/comments/{comment_id}',
    auth: 'installation',
    handle: (request, { api, repo, state }) => {
      const comment = repo.comments.get(Number(request.params.comment_id));
      if (!comment) return notFound();
      const body = stringField(request.body, 'body');
      if (body === undefined) return error(422, 'Invalid request.\n\n"body" wasn\'t supplied.');
      comment.body = body;
      comment.updatedAt = state.nowIso();
      return { status: 200, body: commentJson(api, repo, comment) };
    },
  },
  {
    method: 'DELETE',
    template: '/repos/{owner}/{repo}/issues/comments/{comment_id}',
    auth: 'installation',
    handle: (request, { repo }) => {
      const id = Number(request.params.comment_id);
      if (!repo.comments.delete(id)) return notFound();
      repo.deletedComments.add(id);
      return { status: 204 };
    },
  },
];
