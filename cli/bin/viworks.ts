#!/usr/bin/env node
import { reservedEntryPoint } from '../../core/errors/not-yet.js';

reservedEntryPoint('viworks', 'the client release: enroll, connect, status, admin');
