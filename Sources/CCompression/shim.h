// The four compression libraries Kafka record batches use, from Debian's -dev packages.
#ifndef FJORD_CCOMPRESSION_SHIM_H
#define FJORD_CCOMPRESSION_SHIM_H
#include <zlib.h>
#include <snappy-c.h>
#include <lz4frame.h>
#include <lz4.h>
#include <zstd.h>
#endif
