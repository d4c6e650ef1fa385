import type { Registration } from '../registration';
import type { PostRoute } from './answers';
import { bearerToken, MAX_BODY_BYTES } from './wire';

// The enrollment route, with no web framework: the router of local mode (./door, hono) and the
// register function's own door (./lambda-door) both answer through it, so an enrollment gets the
// same answer from either. The installers and the API's document, which hold no secret, are served
// apart (./installer-routes).

/** What answers an enrollment: {@link Registration}, or the whole service, which calls it. */
type Enrollment = Pick<Registration, 'register'>;

/** `POST /v1/register`: an agent enrolls itself; its group's enrollment key is checked by the use case. */
export const ENROLLMENT_ROUTES: Readonly<Record<string, PostRoute<Enrollment>>> = {
  '/v1/register': {
    maxBytes: MAX_BODY_BYTES,
    async answer(service, authorization, body) {
      return { status: 201, body: await service.register(bearerToken(authorization), body) };
    },
  },
};
