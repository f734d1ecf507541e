/** Where the caller is (from request.cf), for choosing provider regions near them. */
export interface CallerPosition {
  lat?: number | undefined;
  lon?: number | undefined;
}
