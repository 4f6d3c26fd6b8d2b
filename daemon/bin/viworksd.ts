#!/usr/bin/env node
import { reservedEntryPoint } from '../../core/errors/not-yet.js';

reservedEntryPoint('viworksd', 'the client release');
