// One list of ASAP algorithms for signing (the client package) and verifying (this service).
export {
  ASAP_ALGORITHMS,
  type AsapAlgorithm,
  isAsapAlgorithm,
} from "../../clients/typescript/src/asap/algorithms.js";
