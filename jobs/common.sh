# jobs/common.sh: what jobs/softmax and jobs/benchmark share; sourced, not run.
# Sets $root (the repository), $project_version and $spark_jvm_options (both read once from
# pom.xml), and defines fail, pom_value, sources_newer_than, maven_quiet and java_command.

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# fail PREFIX MESSAGE: one line on stderr, exit 1 (a build or setup failure, not bad input).
fail() {
  echo "$1: $2" >&2
  exit 1
}

# pom_value NAME: the text of the first <NAME>...</NAME> of the parent pom.xml.
pom_value() {
  sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$root/pom.xml" | head -n 1
}

# sources_newer_than FILE: succeeds when a pom.xml or a main or shim source of any module is
# newer than FILE (what a rebuild of the job or the benchmarks would pick up).
sources_newer_than() {
  [[ -n "$(find "$root/pom.xml" "$root/src" -path '*/target' -prune \
    -o \( -name pom.xml -o -path '*/src/main/*' -o -path '*/src/shims/*' \) -newer "$1" -print -quit)" ]]
}

project_version="$(pom_value version)"
# The options Spark's own launcher passes on Java 17. The incubator Vector API serves MLlib's
# BLAS, which these classpaths do not have; left in, the JVM prints "WARNING: Using incubator
# modules" on stderr, which should hold only the script's own lines.
spark_jvm_options="$(pom_value spark.jvm.options)"
spark_jvm_options="${spark_jvm_options//--add-modules=jdk.incubator.vector/}"

# maven_quiet PREFIX ARGS...: mvn -q -B ARGS in the repository, its output kept in
# target/PREFIX-build.log and shown only when the build fails.
maven_quiet() {
  local prefix="$1"
  shift
  command -v mvn >/dev/null 2>&1 || fail "$prefix" "mvn not found: install Maven to build"
  mkdir -p "$root/target"
  local log="$root/target/$prefix-build.log"
  if ! (cd "$root" && mvn -q -B -Dstyle.color=never "$@") >"$log" 2>&1; then
    cat "$log" >&2
    fail "$prefix" "the Maven build failed (mvn $*); its output is above and in $log"
  fi
}

java_command="${JAVA_HOME:+$JAVA_HOME/bin/}java"
