// Which addon file fits this process: napi-rs names binaries `<name>.<platform>-<arch>[-abi].node`.
// Shared by the loader and the install script, so both always agree.

function linuxAbi(): string {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ? 'gnu' : 'musl';
}

/** The platform part of the addon's file name, e.g. `linux-x64-gnu`. */
export function platformTriple(): string {
  const { platform, arch } = process;
  if (platform === 'linux') return `linux-${arch}-${linuxAbi()}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

/** The addon's file name inside `native/`. */
export function addonFile(): string {
  return `trulayer.${platformTriple()}.node`;
}
