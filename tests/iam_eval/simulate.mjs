// Judges IAM requests offline with @cloud-copilot/iam-simulate (strict mode), for tests/test_iam_attacks.py.
// stdin: a JSON list of simulations, each
//   {"principal": ARN, "action": "svc:Action", "resource": ARN, "account": "123456789012",
//    "context": {key: value | [values]}, "identityPolicies": [{"name", "policy"}],
//    "permissionBoundaries": [{"name", "policy"}], "resourcePolicy": {...}}  (the last two optional)
// Context keys that do not apply to the action are dropped (and listed in detail.ignoredContextKeys),
// as AWS would not send them. The library does not recognise kms:EncryptionContext:<key> keys.
// stdout: a JSON list, one {"decision": "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | "Error", "detail"}
// per simulation, in order. Exit 0 unless the input is not JSON.
import { runSimulation } from '@cloud-copilot/iam-simulate'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const requests = JSON.parse(Buffer.concat(chunks).toString('utf8'))

const results = []
for (const r of requests) {
  const simulation = {
    request: {
      principal: r.principal,
      action: r.action,
      resource: { resource: r.resource, accountId: r.account },
      contextVariables: r.context ?? {},
    },
    identityPolicies: r.identityPolicies,
    permissionBoundaryPolicies: r.permissionBoundaries?.length ? r.permissionBoundaries : undefined,
    resourcePolicy: r.resourcePolicy ?? undefined,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  }
  try {
    const outcome = await runSimulation(simulation, { simulationMode: 'Strict' })
    if (outcome.resultType === 'error') {
      results.push({ decision: 'Error', detail: outcome.errors })
    } else {
      const ignored = outcome.resultType === 'single' ? outcome.result.ignoredContextKeys ?? [] : []
      results.push({ decision: outcome.overallResult, detail: { resultType: outcome.resultType, ignoredContextKeys: ignored } })
    }
  } catch (error) {
    results.push({ decision: 'Error', detail: String(error?.stack ?? error) })
  }
}
process.stdout.write(JSON.stringify(results))
