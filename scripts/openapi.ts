// Prints the API's OpenAPI document: `npm run openapi` writes it to docs/openapi.json.
import { openApiText } from '../lambda/api/openapi';

process.stdout.write(openApiText());
