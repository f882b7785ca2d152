import { WORKFLOW_PARAMS, type TValidParams, type TWorkflowType } from '@computor/contracts';
import { NON_RETRYABLE, nonRetryable } from './failures';

/** Activities that need no clients. */
export function workflowParamActivities() {
  return {
    /**
     * Validates a workflow's params against its contract schema and returns them with defaults
     * applied. Run by every workflow as a local activity: zod stays out of the workflow sandbox,
     * where it would be loaded again for each execution.
     */
    async validateWorkflowParams<K extends TWorkflowType>(input: { workflowType: K; params: unknown }): Promise<TValidParams<K>> {
      const schema = WORKFLOW_PARAMS[input.workflowType];
      if (!schema) throw nonRetryable(NON_RETRYABLE.invalidInput, `Unknown workflow type ${String(input.workflowType)}`);
      const parsed = schema.safeParse(input.params);
      if (!parsed.success) throw nonRetryable(NON_RETRYABLE.invalidInput, `Invalid workflow input: ${parsed.error.message}`);
      return parsed.data as TValidParams<K>;
    },
  };
}
